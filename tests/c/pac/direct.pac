function FindProxyForURL(url, host) {
    if (isPlainHostName(host) || dnsDomainIs(host, ".intranet.example"))
        return "DIRECT";
    return "PROXY outside.example:3128; DIRECT";
}
