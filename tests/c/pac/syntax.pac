function FindProxyForURL(url, host) {
    return "PROXY broken:1"
