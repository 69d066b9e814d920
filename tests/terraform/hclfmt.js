// Canonical HCL formatting (hclwrite.Format, the core of `terraform fmt`) for the given files.
// Prints the files that are not formatted; with --write, formats them in place.
const fs = require("fs");
const { format } = require("@cdktf/hcl-tools");

(async () => {
  const write = process.argv.includes("--write");
  const files = process.argv.slice(2).filter((a) => a !== "--write");
  let unformatted = 0;
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    const formatted = await format(source);
    if (formatted !== source) {
      unformatted += 1;
      console.log(file);
      if (write) fs.writeFileSync(file, formatted);
    }
  }
  process.exit(unformatted && !write ? 1 : 0);
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
