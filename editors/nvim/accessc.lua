-- accessc for neovim: put this file in ~/.config/nvim/plugin/ (or `require` it).
-- Works with neovim 0.7 (vim.lsp.start_client) and later (vim.lsp.start).

vim.filetype = vim.filetype or {}
if vim.filetype.add then
  vim.filetype.add({ extension = { access = "access" } })
else
  vim.cmd([[autocmd BufRead,BufNewFile *.access setfiletype access]])
end

local config = {
  name = "accessc",
  cmd = { "accessc", "lsp" },
  -- "directory" (default): every .access file of the directory is one program.
  init_options = { program = "directory" },
}

vim.api.nvim_create_autocmd("FileType", {
  pattern = "access",
  callback = function(args)
    local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ":p:h")
    local c = vim.tbl_extend("force", config, { root_dir = dir })
    if vim.lsp.start then
      vim.lsp.start(c, { bufnr = args.buf })
    else
      -- neovim 0.7: one client per directory, attached to each buffer.
      _G.accessc_clients = _G.accessc_clients or {}
      local id = _G.accessc_clients[dir]
      if not id or not vim.lsp.get_client_by_id(id) then
        id = vim.lsp.start_client(c)
        _G.accessc_clients[dir] = id
      end
      vim.lsp.buf_attach_client(args.buf, id)
    end
    vim.bo[args.buf].commentstring = "// %s"
  end,
})
