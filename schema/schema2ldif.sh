#!/bin/sh
# Converts rostersync.schema into the cn=config LDIF that `ldapadd -Y EXTERNAL -H ldapi:///`
# loads. The .ldif in this folder is this script's output: regenerate it after any schema
# change (`sh schema/schema2ldif.sh > schema/rostersync.ldif`); a test compares the two.
set -eu
src=${1:-$(dirname "$0")/rostersync.schema}
printf '%s\n' '# Generated from rostersync.schema by schema2ldif.sh: edit the .schema, not this file.'
printf '%s\n' 'dn: cn=rostersync,cn=schema,cn=config' 'objectClass: olcSchemaConfig' 'cn: rostersync'
awk '
  /^[ \t]*#/ || /^[ \t]*$/ { next }
  /^attributetype[ \t]/ { flush(); sub(/^attributetype[ \t]+/, ""); cur = "olcAttributeTypes: " $0; next }
  /^objectclass[ \t]/   { flush(); sub(/^objectclass[ \t]+/, "");   cur = "olcObjectClasses: " $0; next }
  { sub(/^[ \t]+/, ""); cur = cur " " $0 }
  function flush() { if (cur != "") print cur; cur = "" }
  END { flush() }
' "$src"
