// Every standard PAC helper and Microsoft's IPv6 extensions, each on known inputs. The answer is
// "PROXY ok:1" when all hold, else "PROXY fail-N:1" for the first check N that did not.
function FindProxyForURL(url, host) {
    var checks = [
        isPlainHostName("www") && !isPlainHostName("www.netscape.com"),
        dnsDomainIs("www.netscape.com", ".netscape.com") && !dnsDomainIs("www", ".netscape.com"),
        localHostOrDomainIs("www", "www.netscape.com") && !localHostOrDomainIs("home.netscape.com", "www.netscape.com"),
        isResolvable("localhost") && !isResolvable("nothing.invalid"),
        isInNet("localhost", "127.0.0.0", "255.0.0.0") && !isInNet("localhost", "10.0.0.0", "255.0.0.0"),
        dnsResolve("127.0.0.1") == "127.0.0.1" && dnsResolve("localhost") == "127.0.0.1" && dnsResolve("nothing.invalid") == null,
        /^\d+\.\d+\.\d+\.\d+$/.test(myIpAddress()),
        dnsDomainLevels("www") == 0 && dnsDomainLevels("www.netscape.com") == 2,
        shExpMatch("http://home.netscape.com/people/ari/index.html", "*/ari/*") && !shExpMatch("abc", "a?d"),
        weekdayRange("SUN", "SAT") && weekdayRange("SUN", "SAT", "GMT"),
        dateRange(1, 31) && dateRange("JAN", "DEC") && dateRange("JAN", "DEC", "GMT") && !dateRange(1000, 1001),
        timeRange(0, 0, 0, 23, 59, 59) && timeRange(0, 0, 0, 23, 59, 59, "GMT"),
        alert("alert is accepted and does nothing") === undefined,
        isResolvableEx("localhost") && !isResolvableEx("nothing.invalid"),
        dnsResolveEx("localhost").split(";").indexOf("127.0.0.1") >= 0 && dnsResolveEx("nothing.invalid") == "",
        myIpAddressEx().length > 0,
        isInNetEx("127.0.0.1", "127.0.0.0/8") && isInNetEx("::1", "::1/128") && !isInNetEx("10.0.0.1", "127.0.0.0/8"),
        sortIpAddressList("10.0.0.2;::1;10.0.0.1") == "::1;10.0.0.1;10.0.0.2" && sortIpAddressList("nope") === false,
        getClientVersion() == "1.0",
        typeof require == "undefined" && typeof std == "undefined" && typeof os == "undefined" && typeof XMLHttpRequest == "undefined"
    ];
    for (var i = 0; i < checks.length; i++)
        if (!checks[i])
            return "PROXY fail-" + i + ":1";
    return "PROXY ok:1";
}
