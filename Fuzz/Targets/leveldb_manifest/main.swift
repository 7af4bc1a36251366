import FuzzDriver

FuzzDriver.run("leveldb_manifest")
