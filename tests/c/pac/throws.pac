function FindProxyForURL(url, host) { throw new Error("this script throws"); }
