#ifndef CLDAP_SHIM_H
#define CLDAP_SHIM_H
#include <lber.h>
#include <ldap.h>

/* LDAP_OPT_ON / LDAP_OPT_OFF are pointer macros (`(void *) &ber_pvt_opt_on`) that Swift
 * cannot import. Remove when the importer handles address-of macros. */
static inline void *cldap_opt_on(void) { return LDAP_OPT_ON; }
static inline void *cldap_opt_off(void) { return LDAP_OPT_OFF; }

/* Puts liblber's read-ahead layer above the socket of an open connection: `size` bytes per
 * read(2) instead of libldap's two reads per message. (`ber_sockbuf_io_readahead` is a
 * mutable C global that Swift's strict concurrency will not take the address of.) */
static inline int cldap_add_readahead(Sockbuf *sb, int size) {
    return ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER, &size);
}

#endif
