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
