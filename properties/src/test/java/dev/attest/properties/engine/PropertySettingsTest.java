package dev.attest.properties.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PropertySettingsTest {

    private static PropertySettings parse(Map<String, String> properties) {
        return PropertySettings.fromProperties(properties::get);
    }

    @Test
    void defaultsWhenNothingIsSet() {
        PropertySettings settings = parse(Map.of());
        assertEquals(40, settings.tries());
        assertEquals(500, settings.maxShrinkSteps());
        assertEquals(Optional.empty(), settings.replay());
        assertEquals(0.5, settings.maxRejectRatio());
    }

    @Test
    void unsetSeedIsRandomPerRun() {
        // Two fresh seeds colliding would take 2^64 luck; equal seeds here mean the default is not random.
        assertTrue(parse(Map.of()).runSeed() != parse(Map.of()).runSeed());
    }

    @Test
    void emptyStringsMeanNotSet() {
        PropertySettings settings = parse(Map.of("attest.tries", "", "attest.seed", "", "attest.replay", " ",
                "attest.shrinkSteps", ""));
        assertEquals(40, settings.tries());
        assertEquals(500, settings.maxShrinkSteps());
        assertEquals(Optional.empty(), settings.replay());
    }

    @Test
    void readsEveryProperty() {
        PropertySettings settings = parse(Map.of("attest.tries", "1000", "attest.seed", "-42", "attest.replay",
                "123:7", "attest.shrinkSteps", "0"));
        assertEquals(1000, settings.tries());
        assertEquals(-42L, settings.runSeed());
        assertEquals(Optional.of(new CaseKey.Random(123, 7)), settings.replay());
        assertEquals(0, settings.maxShrinkSteps());
        assertEquals(Optional.of(new CaseKey.Edge(3)), parse(Map.of("attest.replay", "edge:3")).replay());
    }

    @Test
    void badValuesNameThePropertyAndTheValue() {
        assertBad("attest.tries", "many");
        assertBad("attest.tries", "0");
        assertBad("attest.seed", "0x12");
        assertBad("attest.shrinkSteps", "-1");
        assertBad("attest.replay", "123");
        assertBad("attest.replay", "edge:x");
        assertBad("attest.replay", "5:0");
    }

    private static void assertBad(String property, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(Map.of(property, value)));
        assertTrue(e.getMessage().contains(property) && e.getMessage().contains("'" + value + "'"), e.getMessage());
    }

    @Test
    void caseKeysRoundTripThroughText() {
        for (CaseKey key : new CaseKey[] {new CaseKey.Random(-8731422L, 37), new CaseKey.Edge(0)}) {
            assertEquals(key, CaseKey.parse(key.toString()));
        }
        assertEquals("edge:2", new CaseKey.Edge(2).toString());
        assertEquals("5:9", new CaseKey.Random(5, 9).toString());
    }

    @Test
    void recordRejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> PropertySettings.withSeed(1).withTries(0));
        assertThrows(IllegalArgumentException.class, () -> PropertySettings.withSeed(1).withMaxShrinkSteps(-1));
        assertThrows(IllegalArgumentException.class, () -> PropertySettings.withSeed(1).withMaxRejectRatio(Double.NaN));
    }
}
