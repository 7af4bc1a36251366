import FuzzDriver

FuzzDriver.run("records")
