from gigrouter.cli import main

main()
