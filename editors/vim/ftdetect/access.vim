autocmd BufRead,BufNewFile *.access setfiletype access
