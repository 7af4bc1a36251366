import CofferMaintenance
import Testing

@Suite struct DataDirectoryTests {
    @Test func namesTheServersEntries() {
        let dir = DataDirectory(path: "/srv/coffer")
        #expect(dir.database == "/srv/coffer/db")
        #expect(dir.audit == "/srv/coffer/audit")
        #expect(dir.rootKeys == "/srv/coffer/keys/sse-s3-root-keys.json")
    }

    @Test func secretsAreTheKeysAndCredentials() {
        #expect(DataDirectory.isSecret("keys/sse-s3-root-keys.json"))
        #expect(DataDirectory.isSecret("root-credentials.json"))
        #expect(DataDirectory.isSecret("keys/audit-digest-ed25519.key"))
        #expect(!DataDirectory.isSecret("keys/audit-digest-ed25519.pub"))
        #expect(!DataDirectory.isSecret("db/CURRENT"))
    }
}
