package dev.attest.faults;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The whole planted-bug catalog: the softmax mutants, the precision ones, the paged-KV and packed-batch ones, then the linear ones. */
public final class Catalog {
    private Catalog() {
    }

    /** Every mutant, in catalog order. */
    public static List<Mutant> all() {
        List<Mutant> all = new ArrayList<>(SoftmaxMutants.catalog());
        all.addAll(PrecisionMutants.catalog());
        all.addAll(PagedMutants.catalog());
        all.addAll(PackedMutants.catalog());
        all.addAll(AuxiliaryMutants.catalog());
        all.addAll(LinearMutants.catalog());
        return List.copyOf(all);
    }

    /**
     * The mutants with these ids, in catalog order; all of them when {@code ids} is empty.
     *
     * @throws IllegalArgumentException naming an id that is not in the catalog, and listing those that are
     */
    public static List<Mutant> select(List<String> ids) {
        List<Mutant> all = all();
        if (ids == null || ids.isEmpty()) return all;
        Map<String, Mutant> byId = new LinkedHashMap<>();
        all.forEach(m -> byId.put(m.id(), m));
        for (String id : ids) {
            if (!byId.containsKey(id)) {
                throw new IllegalArgumentException("no mutant '" + id + "' in the catalog; known: "
                        + String.join(", ", byId.keySet()));
            }
        }
        return all.stream().filter(m -> ids.contains(m.id())).toList();
    }
}
