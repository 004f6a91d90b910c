/*
 * spdy_dict.c - the dictionary SPDY/3 header blocks are compressed
 * against (section 2.6.10.1 of the SPDY/3 draft): header names as
 * length-prefixed strings, then common values run together. Every SPDY/3
 * peer primes its zlib contexts with exactly these 1423 bytes; the zlib
 * stream's header names it by its Adler-32, 0xe3c6a7c2.
 */
#include "spdy_internal.h"

/* Laid out by hand */
/* clang-format off */
const unsigned char k1s__spdy_dict[] =
    "\0\0\0\7" "options" "\0\0\0\4" "head" "\0\0\0\4" "post" "\0\0\0\3" "put"
    "\0\0\0\6" "delete" "\0\0\0\5" "trace" "\0\0\0\6" "accept"
    "\0\0\0\16" "accept-charset" "\0\0\0\17" "accept-encoding"
    "\0\0\0\17" "accept-language" "\0\0\0\15" "accept-ranges" "\0\0\0\3" "age"
    "\0\0\0\5" "allow" "\0\0\0\15" "authorization" "\0\0\0\15" "cache-control"
    "\0\0\0\12" "connection" "\0\0\0\14" "content-base" "\0\0\0\20" "content-encoding"
    "\0\0\0\20" "content-language" "\0\0\0\16" "content-length"
    "\0\0\0\20" "content-location" "\0\0\0\13" "content-md5"
    "\0\0\0\15" "content-range" "\0\0\0\14" "content-type" "\0\0\0\4" "date"
    "\0\0\0\4" "etag" "\0\0\0\6" "expect" "\0\0\0\7" "expires" "\0\0\0\4" "from"
    "\0\0\0\4" "host" "\0\0\0\10" "if-match" "\0\0\0\21" "if-modified-since"
    "\0\0\0\15" "if-none-match" "\0\0\0\10" "if-range"
    "\0\0\0\23" "if-unmodified-since" "\0\0\0\15" "last-modified"
    "\0\0\0\10" "location" "\0\0\0\14" "max-forwards" "\0\0\0\6" "pragma"
    "\0\0\0\22" "proxy-authenticate" "\0\0\0\23" "proxy-authorization"
    "\0\0\0\5" "range" "\0\0\0\7" "referer" "\0\0\0\13" "retry-after"
    "\0\0\0\6" "server" "\0\0\0\2" "te" "\0\0\0\7" "trailer"
    "\0\0\0\21" "transfer-encoding" "\0\0\0\7" "upgrade" "\0\0\0\12" "user-agent"
    "\0\0\0\4" "vary" "\0\0\0\3" "via" "\0\0\0\7" "warning"
    "\0\0\0\20" "www-authenticate" "\0\0\0\6" "method" "\0\0\0\3" "get"
    "\0\0\0\6" "status" "\0\0\0\6" "200 OK" "\0\0\0\7" "version" "\0\0\0\10" "HTTP/1.1"
    "\0\0\0\3" "url" "\0\0\0\6" "public" "\0\0\0\12" "set-cookie"
    "\0\0\0\12" "keep-alive" "\0\0\0\6" "origin"
    "100101201202205206300302303304305306307402405406407408409410411412413414"
    "415416417502504505203 Non-Authoritative Information204 No Content301 Mov"
    "ed Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found5"
    "00 Internal Server Error501 Not Implemented503 Service UnavailableJan Fe"
    "b Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, "
    "Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,applic"
    "ation/xml,application/xhtml+xml,text/plain,text/javascript,publicprivate"
    "max-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
/* clang-format on */

/* the array also holds the literal's terminating NUL */
const size_t k1s__spdy_dict_len = sizeof k1s__spdy_dict - 1;
