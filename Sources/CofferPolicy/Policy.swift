// The policy engine (docs/bucket-policies.md).
