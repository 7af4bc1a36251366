import CofferStorage

/// The `Tagging` document of PutObjectTagging, PutBucketTagging, GetObjectTagging and
/// GetBucketTagging:
///
/// ```xml
/// <Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
///   <TagSet><Tag><Key>project</Key><Value>alpha</Value></Tag></TagSet>
/// </Tagging>
/// ```
enum TaggingXML {
    /// The tags of a `Tagging` document, in document order, checked against `subject`'s rules.
    /// A document that is not XML, another root, a second `TagSet`, or a `Tag` without exactly
    /// one `Key` and one `Value` is 400 MalformedXML; a `Tagging` without a `TagSet` (what SDKs
    /// send for no tags) is the empty set, as on S3.
    static func parse(_ bytes: [UInt8], for subject: TagRules.Subject) throws(S3Error) -> [StoredTag] {
        let tags = try parseUnchecked(bytes)
        try TagRules.validate(tags, for: subject)
        return tags
    }

    /// The document's tags, unchecked (only its shape is).
    static func parseUnchecked(_ bytes: [UInt8]) throws(S3Error) -> [StoredTag] {
        guard let root = XMLElementNode.parse(bytes), root.name == "Tagging" else { throw S3Error(.malformedXML) }
        let sets = root.all("TagSet")
        guard sets.count <= 1, root.children.count == sets.count else { throw S3Error(.malformedXML) }
        guard let set = sets.first else { return [] }
        var tags: [StoredTag] = []
        for element in set.children {
            guard element.name == "Tag", element.children.count == 2 else { throw S3Error(.malformedXML) }
            guard let key = element.child("Key"), let value = element.child("Value"), key.children.isEmpty, value.children.isEmpty else {
                throw S3Error(.malformedXML)
            }
            tags.append(StoredTag(key: key.text, value: value.text))
        }
        return tags
    }

    /// The document GetObjectTagging and GetBucketTagging answer.
    static func write(_ tags: [StoredTag]) -> XMLWriter {
        var xml = XMLWriter(invalidCharacters: .referenced)
        xml.element("Tagging", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("TagSet") { set in
                for tag in tags {
                    set.element("Tag") { t in
                        t.element("Key", tag.key)
                        t.element("Value", tag.value)
                    }
                }
            }
        }
        return xml
    }
}
