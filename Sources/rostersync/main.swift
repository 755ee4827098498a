import LDAPClient
print("x")
