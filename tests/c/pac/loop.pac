function FindProxyForURL(url, host) { for (;;) {} }
