import FuzzDriver

FuzzDriver.run("s3_xml")
