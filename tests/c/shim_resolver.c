/*
 * A resolver shim for the C suite, loaded with LD_PRELOAD into the test programs that ask for it
 * (see tests/c_suite.rs). It interposes getaddrinfo so that name resolution is local, instant and
 * deterministic where a test needs it to be:
 *
 *   *.slow.test      sleeps, then fails with EAI_NONAME: 3 s, or N ms when the first label is a
 *                    number N ("1200.slow.test"). For resolve timeouts.
 *   *.loopback.test  127.0.0.1, without asking DNS: dotted names that reach the local test servers.
 *   loopback-*       (one label, no dot) 127.0.0.1 too: a plain local host name that is not loopback
 *                    by name.
 *   *.invalid        fails with EAI_NONAME at once, as RFC 6761 asks, without asking a DNS server
 *                    (which may drop a query and make the caller wait seconds for its retry).
 *
 * Every other name goes to the real getaddrinfo. Not a test program itself (no test_ prefix).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

/* Whether `name` ends with `suffix`, ignoring case and one trailing dot. */
static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    if (n > 0 && name[n - 1] == '.')
        n--;
    return n >= m && strncasecmp(name + n - m, suffix, m) == 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
    static getaddrinfo_fn real;
    if (!real)
        real = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
    if (node) {
        if (has_suffix(node, ".slow.test")) {
            long ms = 3000;
            if (isdigit((unsigned char)node[0]))
                ms = strtol(node, NULL, 10);
            sleep_ms(ms);
            return EAI_NONAME;
        }
        if (has_suffix(node, ".invalid"))
            return EAI_NONAME;
        if (has_suffix(node, ".loopback.test") || (strncasecmp(node, "loopback-", 9) == 0 && !strchr(node, '.'))) {
            struct addrinfo h;
            memset(&h, 0, sizeof(h));
            if (hints)
                h = *hints;
            if (h.ai_family == AF_INET6)
                return EAI_NONAME;
            h.ai_family = AF_INET;
            h.ai_flags |= AI_NUMERICHOST;
            return real("127.0.0.1", service, &h, res);
        }
    }
    return real ? real(node, service, hints, res) : EAI_SYSTEM;
}
