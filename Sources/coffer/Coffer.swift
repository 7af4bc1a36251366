import ArgumentParser

/// `coffer`: the root command only lists its subcommands.
@main
struct Coffer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffer",
        abstract: "An S3-compatible object server whose every byte is stored in LevelDB.",
        subcommands: [Serve.self, Keys.self, Bench.self, Audit.self, PolicyCommand.self, FsckCommand.self, BackupCommand.self, RestoreCommand.self, MigrateCommand.self])
}
