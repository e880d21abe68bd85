open("model.bin","w").write("m")
