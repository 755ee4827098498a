#ifndef CLDAP_SHIM_H
#define CLDAP_SHIM_H
#include <lber.h>
#include <ldap.h>

/* LDAP_OPT_ON / LDAP_OPT_OFF are pointer macros (`(void *) &ber_pvt_opt_on`) that Swift
 * cannot import. Remove when the importer handles address-of macros. */
static inline void *cldap_opt_on(void) { return LDAP_OPT_ON; }
static inline void *cldap_opt_off(void) { return LDAP_OPT_OFF; }

#endif
