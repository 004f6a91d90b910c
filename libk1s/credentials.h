/*
 * credentials.h - the token and kubeconfig a k1s instance hands out.
 */
#ifndef K1S_CREDENTIALS_H
#define K1S_CREDENTIALS_H

#include <stddef.h>

/* The bearer token: read from data_dir/token, or made and saved there at
 * first start. data_dir NULL: a fresh token, not saved. 0 or -1. */
int k1s_cmd_token(const char *data_dir, char *buf, size_t len);
/* Write a kubeconfig for url with token, trusting ca_pem (atomically).
 * 0 or -1. */
int k1s_cmd_write_kubeconfig(const char *path, const char *url, const char *token,
                             const char *ca_pem);

#endif
