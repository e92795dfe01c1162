/*
 * Names of WINHTTP_CALLBACK_STATUS_* values, for the notification tests' failure messages.
 */
#ifndef WINHTTP_TEST_STATUS_NAMES_H
#define WINHTTP_TEST_STATUS_NAMES_H

#include <winhttp.h>

static inline const char *status_name(DWORD s)
{
    switch (s) {
#define NAME(x)                                                                                                   \
    case WINHTTP_CALLBACK_STATUS_##x:                                                                             \
        return #x
        NAME(RESOLVING_NAME);
        NAME(NAME_RESOLVED);
        NAME(CONNECTING_TO_SERVER);
        NAME(CONNECTED_TO_SERVER);
        NAME(SENDING_REQUEST);
        NAME(REQUEST_SENT);
        NAME(RECEIVING_RESPONSE);
        NAME(RESPONSE_RECEIVED);
        NAME(CLOSING_CONNECTION);
        NAME(CONNECTION_CLOSED);
        NAME(HANDLE_CREATED);
        NAME(HANDLE_CLOSING);
        NAME(DETECTING_PROXY);
        NAME(REDIRECT);
        NAME(INTERMEDIATE_RESPONSE);
        NAME(SECURE_FAILURE);
        NAME(HEADERS_AVAILABLE);
        NAME(DATA_AVAILABLE);
        NAME(READ_COMPLETE);
        NAME(WRITE_COMPLETE);
        NAME(REQUEST_ERROR);
        NAME(SENDREQUEST_COMPLETE);
#undef NAME
    default:
        return "?";
    }
}

#endif
