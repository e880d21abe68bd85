import Foundation
import SplitbookCLI

// A write to a closed pipe (a cell that stopped reading, a client that went
// away, `splitbook ... | head`) must be an error to handle, not the end of us.
signal(SIGPIPE, SIG_IGN)
Splitbook.runAndExit()
