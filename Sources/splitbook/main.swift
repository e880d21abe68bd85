import SplitbookCLI

Splitbook.runAndExit()
