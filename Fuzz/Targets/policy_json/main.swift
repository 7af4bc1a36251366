import FuzzDriver

FuzzDriver.run("policy_json")
