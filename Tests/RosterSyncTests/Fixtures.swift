import Foundation
import LDAPModel
import RosterSync

/// The smallest valid config text: an ldapi URI that is never dialled, SASL EXTERNAL.
func minimalConfigYAML(stateDir: String = "/tmp") -> String {
    """
    directory:
      uris: [ldapi:///]
      base: dc=cema,dc=gov,dc=vn
      bind:
        method: sasl-external
    mail:
      domain: cema.gov.vn
    state_dir: \(stateDir)
    """
}

/// That config parsed, with `extra` YAML appended at the top level.
func testConfig(_ extra: String = "") -> Config {
    try! Config.parse(yaml: minimalConfigYAML() + "\n" + extra, path: "/etc/rostersync/config.yaml")
}

/// Entries as this version keeps them: a unit entry written with its mailbox's attributes
/// (the shape rostersync 1.1 wrote, and the easy one to write in a test) becomes the unit and
/// its `cn=unit mailbox` entry, by the same writes `sync` sends to separate them.
func separatingUnitMailboxes(_ entries: [LDAPEntry]) -> [LDAPEntry] {
    entries.flatMap { e -> [LDAPEntry] in
        let classes = (e.attributes["objectclass"] ?? []).map { String(decoding: $0, as: UTF8.self).lowercased() }
        guard classes.contains("rsunit"), e.attributes["mail"] != nil else { return [e] }
        let attrs = e.attributes.map { LDAPAttribute($0.key, $0.value) }.sorted { $0.name < $1.name }
        var unit = e.attributes
        var out: [LDAPEntry] = []
        for op in UnitMailbox.separation(unit: e.dn, entry: attrs, mailboxExists: false) {
            switch op {
            case let .add(dn, attributes):
                out.append(LDAPEntry(dn: dn, attributes: Dictionary(attributes.map { ($0.name, $0.values) }, uniquingKeysWith: +)))
            case let .modify(_, mods, _):
                for m in mods {
                    switch m.operation {
                    case .delete: unit[m.attribute.name.lowercased()] = nil
                    case .replace, .add: unit[m.attribute.name.lowercased()] = m.attribute.values
                    }
                }
            default: break
            }
        }
        return [LDAPEntry(dn: e.dn, attributes: unit)] + out
    }
}
