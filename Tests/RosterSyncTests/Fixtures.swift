import RosterSync

/// The smallest valid config for the pure tests (an ldapi URI that is never dialled), with
/// `extra` YAML appended at the top level.
func testConfig(_ extra: String = "") -> Config {
    let yaml = """
        directory:
          uris: [ldapi:///]
          base: dc=cema,dc=gov,dc=vn
          bind:
            method: sasl-external
        mail:
          domain: cema.gov.vn
        state_dir: /tmp

        """ + extra
    return try! Config.parse(yaml: yaml, path: "/etc/rostersync/config.yaml")
}
