// Microsoft's extension: FindProxyForURLEx is called when the script defines it.
function FindProxyForURL(url, host) { return "PROXY plain.example:1"; }
function FindProxyForURLEx(url, host) { return "PROXY a.example:8080; PROXY b.example; DIRECT"; }
