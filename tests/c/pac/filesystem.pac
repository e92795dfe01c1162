// Tries to read a file: the sandbox has no std/os modules, so this is a ReferenceError.
function FindProxyForURL(url, host) { return "PROXY " + std.loadFile("/etc/passwd") + ":1"; }
