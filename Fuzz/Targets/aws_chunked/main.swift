import FuzzDriver

FuzzDriver.run("aws_chunked")
