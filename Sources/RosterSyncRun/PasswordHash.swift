import Crypto
import Foundation
import LDAPModel
import RosterSync

extension Config.PasswordHash {
    /// `userPassword` for `secret` in this scheme, as slapd writes it (RFC 2307 style):
    /// `{SSHA}` + base64(SHA-1(password ‖ salt) ‖ salt), with 8 random bytes of salt from the
    /// system CSPRNG; the pw-sha2 module's `{SSHA256}`/`{SSHA512}` the same with SHA-2.
    /// Hashed here, the value is stored as it is: a stock slapd (olcPPolicyHashCleartext off)
    /// would store a cleartext one, and the Password Modify operation would cost a second
    /// write per new mailbox.
    package func hash(_ secret: Secret) -> String {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<8).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let input = Data(secret.reveal().utf8) + salt
        let digest: [UInt8] = switch self {
        case .ssha: Array(Insecure.SHA1.hash(data: input))
        case .ssha256: Array(SHA256.hash(data: input))
        case .ssha512: Array(SHA512.hash(data: input))
        }
        return rawValue + Data(digest + salt).base64EncodedString()
    }
}
