public enum RosterSyncVersion { public static let current = "0.1.0" }
