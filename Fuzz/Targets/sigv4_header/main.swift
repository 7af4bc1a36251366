import FuzzDriver

FuzzDriver.run("sigv4_header")
