// A client of the AWS KMS JSON protocol.
