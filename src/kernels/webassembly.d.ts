// The part of the WebAssembly JS API that src/kernels/ uses. Node 20 has all of it, but with
// `lib: ES2022` and no DOM types TypeScript declares none of it (@types/node 20 neither).
declare namespace WebAssembly {
  class Module {
    static imports(module: Module): { module: string; name: string; kind: string }[];
  }
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Global {
    value: number;
  }
  type Imports = Record<string, Record<string, Memory | Global | ((...args: number[]) => number | void)>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  function compile(bytes: Uint8Array): Promise<Module>;
  function instantiate(module: Module, imports?: Imports): Promise<Instance>;
}
