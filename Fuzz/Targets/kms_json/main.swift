import FuzzDriver

FuzzDriver.run("kms_json")
