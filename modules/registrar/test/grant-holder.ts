// Test fixture: a module that only holds its grants, so a test can use them through `kernel.grantFor`
// exactly as the module that owns them would (registrar_chain.test.ts uses the registrar's grants).
import { startProcess } from "../../../capabilities/lib/guest/process.ts";

startProcess({});
