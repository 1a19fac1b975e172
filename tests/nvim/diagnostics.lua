-- Neovim 0.7 as a real LSP client of `accessc lsp` (run by tests/lsp_nvim.rs):
--
--   nvim --headless --clean -c "luafile tests/nvim/diagnostics.lua"
--
-- Environment:
--   ACCESSC        the accessc binary
--   ACCESSC_FILES  the .access files of one program, one per line (opened in order)
--   ACCESSC_TODAY  the date for A401/A506
--   ACCESSC_MODE   "directory" (default) or "file"
--   ACCESSC_EDIT   a line to append to the first file, then undo (optional)
--   ACCESSC_OUT    where to write the result (JSON)
--
-- The result: for each phase ("open", then "edit" and "undo" when ACCESSC_EDIT
-- is set), the diagnostics of every file as vim.diagnostic.get() returns them.

local out_path = os.getenv("ACCESSC_OUT")
local files = vim.split(os.getenv("ACCESSC_FILES") or "", "\n", { trimempty = true })
local edit_line = os.getenv("ACCESSC_EDIT")
local result = { phases = {}, errors = {} }

local function finish()
  local f = io.open(out_path, "w")
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qall!")
end

local function fail(msg)
  table.insert(result.errors, msg)
  finish()
end

-- How many times diagnostics were published for each buffer.
local published = {}
local handler = function(err, res, ctx, config)
  vim.lsp.diagnostic.on_publish_diagnostics(err, res, ctx, config)
  local bufnr = vim.uri_to_bufnr(res.uri)
  published[bufnr] = (published[bufnr] or 0) + 1
end

local client_id = vim.lsp.start_client({
  name = "accessc",
  cmd = { os.getenv("ACCESSC"), "lsp" },
  root_dir = vim.fn.fnamemodify(files[1], ":p:h"),
  init_options = { today = os.getenv("ACCESSC_TODAY"), program = os.getenv("ACCESSC_MODE") or "directory" },
  handlers = { ["textDocument/publishDiagnostics"] = handler },
})
if not client_id then
  return fail("start_client failed")
end

local bufs = {}
for _, f in ipairs(files) do
  vim.cmd("edit " .. vim.fn.fnameescape(f))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].swapfile = false
  vim.lsp.buf_attach_client(buf, client_id)
  table.insert(bufs, buf)
end

local function snapshot(name)
  local phase = {}
  for i, buf in ipairs(bufs) do
    local diags = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(diags, {
        lnum = d.lnum,
        col = d.col,
        end_lnum = d.end_lnum,
        end_col = d.end_col,
        severity = d.severity,
        message = d.message,
        code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
        source = d.source,
      })
    end
    phase[files[i]] = diags
  end
  result.phases[name] = phase
end

-- Wait until every buffer has had diagnostics published at least `counts[buf]` times.
local function wait_for(counts, what)
  local ok = vim.wait(30000, function()
    for _, buf in ipairs(bufs) do
      if (published[buf] or 0) < (counts[buf] or 0) then
        return false
      end
    end
    return true
  end, 10)
  if not ok then
    fail("timed out waiting for diagnostics after " .. what)
    return false
  end
  return true
end

local want = {}
for _, buf in ipairs(bufs) do
  want[buf] = 1
end
if not wait_for(want, "open") then
  return
end
snapshot("open")

if edit_line and edit_line ~= "" then
  local buf = bufs[1]
  vim.api.nvim_set_current_buf(buf)
  local before = published[buf] or 0
  -- An ordinary edit, as typing `o` + text + <Esc> would make (one undo step).
  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_buf_set_lines(buf, last, last, false, { edit_line })
  if not wait_for({ [buf] = before + 1 }, "the edit") then
    return
  end
  snapshot("edit")
  before = published[buf]
  vim.cmd("silent undo")
  if not wait_for({ [buf] = before + 1 }, "undo") then
    return
  end
  snapshot("undo")
end

vim.lsp.stop_client(client_id)
finish()
