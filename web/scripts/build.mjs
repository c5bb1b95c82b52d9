// Builds web/dist: the pages and their scripts as they are (plain ES modules, no bundler), and
// uPlot's ES module and stylesheet from node_modules beside them. The server serves dist/ as is:
// "/" index.html, "/watch" watch.html, "/broadcast" broadcast.html, "/assets/<file>" assets/.
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(web, 'dist');

await rm(dist, { recursive: true, force: true });
if (process.argv.includes('--clean')) process.exit(0);

await mkdir(join(dist, 'assets'), { recursive: true });
await cp(join(web, 'src'), dist, { recursive: true });
const uplot = join(web, 'node_modules', 'uplot', 'dist');
await cp(join(uplot, 'uPlot.esm.js'), join(dist, 'assets', 'uPlot.esm.js'));
await cp(join(uplot, 'uPlot.min.css'), join(dist, 'assets', 'uPlot.min.css'));

const files = [...(await readdir(dist)), ...(await readdir(join(dist, 'assets'))).map((f) => `assets/${f}`)];
console.log(`web: built ${dist} (${files.filter((f) => f !== 'assets').join(', ')})`);
