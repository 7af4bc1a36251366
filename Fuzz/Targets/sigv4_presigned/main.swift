import FuzzDriver

FuzzDriver.run("sigv4_presigned")
