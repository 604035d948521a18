module Localgem; end
