// The script of Windows' own PAC test: the URL (':' and '/' made '_'), the host and a port.
function FindProxyForURL(url, host) {
    return "PROXY " + url.replace(/[:\/]/g, "_") + "_" + host + ":8080";
}
