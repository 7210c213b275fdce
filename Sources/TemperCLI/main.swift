print("temper")
