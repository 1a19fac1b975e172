" Vim/neovim syntax for .access files (the TextMate grammar's rules, for
" editors that do not read TextMate grammars). Install: copy editors/vim/ into
" ~/.config/nvim/ (or ~/.vim/).
if exists("b:current_syntax")
  finish
endif

syn keyword accessItem use instance attributes org group user policy managed_policy function grant forbid limit quotas ou account
syn keyword accessKeyword to on except owner until with from json id in not when and external notify root management suspended pending_closure closed
syn keyword accessProperty description session relay managed customer boundary inline tags break_glass name path arn identity_store region replicas start_url
syn keyword accessAllow allow
syn keyword accessDeny deny
syn match accessAction "\<[a-z0-9-]\+:[A-Za-z0-9*?]\+"
syn match accessTagRef "\<\(resource\|request\|principal\)\.tag\.[A-Za-z0-9_:/=+@.-]\+"
syn match accessDate "\<\d\{4}-\d\{2}-\d\{2}\>"
syn match accessDuration "\<\(\d\+[hm]\|PT\(\d\+H\)\=\(\d\+M\)\=\)\>"
syn match accessPolicyVar "\${[^}\"]*}" contained
syn region accessString start=+"+ skip=+\\.+ end=+"\|$+ contains=accessPolicyVar
syn match accessDoc "///.*$"
syn match accessComment "//.*$" contains=accessDoc
syn region accessBlockComment start="/\*" end="\*/"

hi def link accessItem Keyword
hi def link accessKeyword Keyword
hi def link accessProperty Type
hi def link accessAllow Statement
hi def link accessDeny Exception
hi def link accessAction Function
hi def link accessTagRef Identifier
hi def link accessDate Number
hi def link accessDuration Number
hi def link accessString String
hi def link accessPolicyVar Special
hi def link accessComment Comment
hi def link accessDoc SpecialComment
hi def link accessBlockComment Comment

let b:current_syntax = "access"
