import CofferStorage

extension S3Service {
    /// `<Owner>` of a listing or ACL: the canonical id and display name of user `name`.
    func writeOwner(_ x: inout XMLWriter, name: String) {
        x.element("Owner") { o in
            o.element("ID", User.canonicalId(forName: name, accountId: users.root.accountId))
            o.element("DisplayName", name)
        }
    }
}
