// The public page: a new city shows that city's areas at once (its whole city first).
"use strict";
document.getElementById("kota").addEventListener("change", () => {
  document.getElementById("wilayah").value = "";
  document.getElementById("filter-publik").submit();
});
