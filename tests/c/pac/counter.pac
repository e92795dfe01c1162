// Counts its calls: the script is loaded once per URL and kept, so the count goes on between calls.
var calls = 0;
function FindProxyForURL(url, host) { calls++; return "PROXY calls-" + calls + ":1"; }
