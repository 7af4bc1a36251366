import FuzzDriver

FuzzDriver.run("sealed_package")
